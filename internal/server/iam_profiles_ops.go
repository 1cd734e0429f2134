package server

// profileOps is IAM's operation table for instance profiles.
var profileOps = map[string]queryOp{}
