package logs

//go:generate go run ../batch/internal/typegen -service logs -package logs -botocore=$BOTOCORE -out api_types.go
