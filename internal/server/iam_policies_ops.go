package server

// policyOps is IAM's operation table for customer managed policies and their versions.
var policyOps = map[string]queryOp{}
