package server

// roleOps is IAM's operation table for roles and the service-linked role.
var roleOps = map[string]queryOp{}
