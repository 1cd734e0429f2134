module batchd

go 1.26.8
