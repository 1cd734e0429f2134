package server

// accountOps is IAM's operation table for the account, authorization details and the policy simulator.
var accountOps = map[string]queryOp{}
