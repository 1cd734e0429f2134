package server

import (
	"strings"

	"batchd/internal/logs"
)

// logsOps is CloudWatch Logs' operation table (API Reference 2014-03-28;
// actions, resources and condition keys from "Actions, resources, and
// condition keys for Amazon CloudWatch Logs": a log group is
// arn:aws:logs:REGION:ACCOUNT:log-group:NAME, a log stream
// ...:log-group:NAME:log-stream:STREAM, and both carry the group's tags as
// aws:ResourceTag/K). DescribeLogGroups has no resource: it is authorized
// on "*".
var logsOps = map[string]op{
	"CreateLogGroup": jsonOp("logs:CreateLogGroup",
		func(c *Call, in *logs.CreateLogGroupRequest) error {
			arn := c.logs().LogGroupARN(in.LogGroupName)
			if err := c.Authorize("logs:CreateLogGroup", arn, tagMapKeys(in.Tags)); err != nil {
				return err
			}
			// Tags on create need logs:TagResource too (the action's
			// dependent actions in the reference).
			if len(in.Tags) > 0 {
				return c.Authorize("logs:TagResource", arn, tagMapKeys(in.Tags))
			}
			return nil
		},
		func(c *Call, in *logs.CreateLogGroupRequest) (any, error) {
			return nil, c.logs().CreateLogGroup(c.Ctx, in)
		}),
	"DeleteLogGroup": jsonOp("logs:DeleteLogGroup",
		func(c *Call, in *logs.DeleteLogGroupRequest) error {
			return c.authorizeLogGroup("logs:DeleteLogGroup", in.LogGroupName, nil)
		},
		func(c *Call, in *logs.DeleteLogGroupRequest) (any, error) {
			return nil, c.logs().DeleteLogGroup(c.Ctx, in)
		}),
	"DescribeLogGroups": jsonOp("logs:DescribeLogGroups", nil,
		func(c *Call, in *logs.DescribeLogGroupsRequest) (any, error) {
			return c.logs().DescribeLogGroups(c.Ctx, in)
		}),
	"PutRetentionPolicy": jsonOp("logs:PutRetentionPolicy",
		func(c *Call, in *logs.PutRetentionPolicyRequest) error {
			return c.authorizeLogGroup("logs:PutRetentionPolicy", in.LogGroupName, nil)
		},
		func(c *Call, in *logs.PutRetentionPolicyRequest) (any, error) {
			return nil, c.logs().PutRetentionPolicy(c.Ctx, in)
		}),
	"DeleteRetentionPolicy": jsonOp("logs:DeleteRetentionPolicy",
		func(c *Call, in *logs.DeleteRetentionPolicyRequest) error {
			return c.authorizeLogGroup("logs:DeleteRetentionPolicy", in.LogGroupName, nil)
		},
		func(c *Call, in *logs.DeleteRetentionPolicyRequest) (any, error) {
			return nil, c.logs().DeleteRetentionPolicy(c.Ctx, in)
		}),

	"CreateLogStream": jsonOp("logs:CreateLogStream",
		func(c *Call, in *logs.CreateLogStreamRequest) error {
			return c.authorizeLogStream("logs:CreateLogStream", in.LogGroupName, in.LogStreamName)
		},
		func(c *Call, in *logs.CreateLogStreamRequest) (any, error) {
			return nil, c.logs().CreateLogStream(c.Ctx, in)
		}),
	"DeleteLogStream": jsonOp("logs:DeleteLogStream",
		func(c *Call, in *logs.DeleteLogStreamRequest) error {
			return c.authorizeLogStream("logs:DeleteLogStream", in.LogGroupName, in.LogStreamName)
		},
		func(c *Call, in *logs.DeleteLogStreamRequest) (any, error) {
			return nil, c.logs().DeleteLogStream(c.Ctx, in)
		}),
	"DescribeLogStreams": jsonOp("logs:DescribeLogStreams",
		func(c *Call, in *logs.DescribeLogStreamsRequest) error {
			group, err := c.logs().LogGroupName(in.LogGroupName, in.LogGroupIdentifier)
			if err != nil {
				return err
			}
			return c.authorizeLogGroup("logs:DescribeLogStreams", group, nil)
		},
		func(c *Call, in *logs.DescribeLogStreamsRequest) (any, error) {
			return c.logs().DescribeLogStreams(c.Ctx, in)
		}),

	"PutLogEvents": jsonOp("logs:PutLogEvents",
		func(c *Call, in *logs.PutLogEventsRequest) error {
			return c.authorizeLogStream("logs:PutLogEvents", in.LogGroupName, in.LogStreamName)
		},
		func(c *Call, in *logs.PutLogEventsRequest) (any, error) {
			return c.logs().PutLogEvents(c.Ctx, in)
		}),
	"GetLogEvents": jsonOp("logs:GetLogEvents",
		func(c *Call, in *logs.GetLogEventsRequest) error {
			group, err := c.logs().LogGroupName(in.LogGroupName, in.LogGroupIdentifier)
			if err != nil {
				return err
			}
			return c.authorizeLogStream("logs:GetLogEvents", group, in.LogStreamName)
		},
		func(c *Call, in *logs.GetLogEventsRequest) (any, error) {
			return c.logs().GetLogEvents(c.Ctx, in)
		}),
	"FilterLogEvents": jsonOp("logs:FilterLogEvents",
		func(c *Call, in *logs.FilterLogEventsRequest) error {
			group, err := c.logs().LogGroupName(in.LogGroupName, in.LogGroupIdentifier)
			if err != nil {
				return err
			}
			return c.authorizeLogGroup("logs:FilterLogEvents", group, nil)
		},
		func(c *Call, in *logs.FilterLogEventsRequest) (any, error) {
			return c.logs().FilterLogEvents(c.Ctx, in)
		}),

	"TagLogGroup": jsonOp("logs:TagLogGroup",
		func(c *Call, in *logs.TagLogGroupRequest) error {
			return c.authorizeLogGroup("logs:TagLogGroup", in.LogGroupName, tagMapKeys(in.Tags))
		},
		func(c *Call, in *logs.TagLogGroupRequest) (any, error) {
			return nil, c.logs().TagLogGroup(c.Ctx, in)
		}),
	"UntagLogGroup": jsonOp("logs:UntagLogGroup",
		func(c *Call, in *logs.UntagLogGroupRequest) error {
			return c.authorizeLogGroup("logs:UntagLogGroup", in.LogGroupName, map[string][]string{"aws:TagKeys": in.Tags})
		},
		func(c *Call, in *logs.UntagLogGroupRequest) (any, error) {
			return nil, c.logs().UntagLogGroup(c.Ctx, in)
		}),
	"ListTagsLogGroup": jsonOp("logs:ListTagsLogGroup",
		func(c *Call, in *logs.ListTagsLogGroupRequest) error {
			return c.authorizeLogGroup("logs:ListTagsLogGroup", in.LogGroupName, nil)
		},
		func(c *Call, in *logs.ListTagsLogGroupRequest) (any, error) {
			return c.logs().ListTagsLogGroup(c.Ctx, in)
		}),
	"TagResource": jsonOp("logs:TagResource",
		func(c *Call, in *logs.TagResourceRequest) error {
			return c.authorizeLogResource("logs:TagResource", in.ResourceArn, tagMapKeys(in.Tags))
		},
		func(c *Call, in *logs.TagResourceRequest) (any, error) {
			return nil, c.logs().TagResource(c.Ctx, in)
		}),
	"UntagResource": jsonOp("logs:UntagResource",
		func(c *Call, in *logs.UntagResourceRequest) error {
			return c.authorizeLogResource("logs:UntagResource", in.ResourceArn, map[string][]string{"aws:TagKeys": in.TagKeys})
		},
		func(c *Call, in *logs.UntagResourceRequest) (any, error) {
			return nil, c.logs().UntagResource(c.Ctx, in)
		}),
	"ListTagsForResource": jsonOp("logs:ListTagsForResource",
		func(c *Call, in *logs.ListTagsForResourceRequest) error {
			return c.authorizeLogResource("logs:ListTagsForResource", in.ResourceArn, nil)
		},
		func(c *Call, in *logs.ListTagsForResourceRequest) (any, error) {
			return c.logs().ListTagsForResource(c.Ctx, in)
		}),
}

func (c *Call) logs() *logs.Service { return c.srv.cfg.Logs }

// logsAuditInput keeps log events out of the audit trail: a PutLogEvents
// call is recorded with its group, stream and number of events, not their
// messages (which may be a megabyte, and hold what the logs hold).
// CloudTrail, likewise, records no event data of CloudWatch Logs.
func logsAuditInput(op string, in any) any {
	if p, ok := in.(*logs.PutLogEventsRequest); ok {
		return map[string]any{"logGroupName": p.LogGroupName, "logStreamName": p.LogStreamName, "logEventCount": len(p.LogEvents)}
	}
	return in
}

// authorizeLogGroup authorizes action on a log group with its tags as
// aws:ResourceTag/K, plus the request's keys.
func (c *Call) authorizeLogGroup(action, group string, keys map[string][]string) error {
	l := c.logs()
	return c.Authorize(action, l.LogGroupARN(group), withKeys(keys, batchTagKeys(l.LogGroupTags(c.Ctx, group))))
}

// authorizeLogStream authorizes action on a log stream, with its group's
// tags.
func (c *Call) authorizeLogStream(action, group, stream string) error {
	l := c.logs()
	return c.Authorize(action, l.LogStreamARN(group, stream), batchTagKeys(l.LogGroupTags(c.Ctx, group)))
}

// authorizeLogResource authorizes a tagging operation on its resourceArn:
// a log group of this account on the group's ARN (a trailing ":*"
// dropped) with its tags, any other ARN as given.
func (c *Call) authorizeLogResource(action, resourceARN string, keys map[string][]string) error {
	if group, ok := c.logs().ResourceGroup(resourceARN); ok {
		return c.authorizeLogGroup(action, group, keys)
	}
	return c.Authorize(action, strings.TrimSuffix(resourceARN, ":*"), keys)
}
