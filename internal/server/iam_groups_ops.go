package server

// groupOps is IAM's operation table for groups and membership.
var groupOps = map[string]queryOp{}
