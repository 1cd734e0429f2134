package batch

//go:generate go run ./internal/typegen -botocore=$BOTOCORE -out api_types.go
