package scheduler

import (
	"strconv"

	"batchd/internal/batch"
)

// Resources are vCPUs, memory and GPUs: what a job needs, what a compute
// environment or the host offers.
type Resources struct {
	VCPUs     float64
	MemoryMiB int64
	GPUs      int
}

func (r Resources) add(o Resources) Resources {
	return Resources{VCPUs: r.VCPUs + o.VCPUs, MemoryMiB: r.MemoryMiB + o.MemoryMiB, GPUs: r.GPUs + o.GPUs}
}

func (r Resources) sub(o Resources) Resources {
	return Resources{VCPUs: r.VCPUs - o.VCPUs, MemoryMiB: r.MemoryMiB - o.MemoryMiB, GPUs: r.GPUs - o.GPUs}
}

// eps absorbs the rounding of fractional vCPUs (Fargate's 0.25).
const eps = 1e-9

// fits reports whether r fits in free.
func (r Resources) fits(free Resources) bool {
	return r.VCPUs <= free.VCPUs+eps && r.MemoryMiB <= free.MemoryMiB && r.GPUs <= free.GPUs
}

// capacityUse is what runs beside what the host offers: the capacity used
// by compute environment and on the host.
type capacityUse struct {
	host     Resources
	ceUsed   map[string]Resources
	hostUsed Resources
}

// free is what c has left, the host's remainder included.
func (u *capacityUse) free(c *ceView) Resources {
	f := c.capacity.sub(u.ceUsed[c.name()])
	h := u.host.sub(u.hostUsed)
	return Resources{VCPUs: min(f.VCPUs, h.VCPUs), MemoryMiB: min(f.MemoryMiB, h.MemoryMiB), GPUs: min(f.GPUs, h.GPUs)}
}

// anyRoom reports whether any of ces has a vCPU left.
func (u *capacityUse) anyRoom(ces []*ceView) bool {
	for _, c := range ces {
		if u.free(c).VCPUs > eps {
			return true
		}
	}
	return false
}

// jobNeeds is what a job's container asks for: the VCPU, MEMORY (MiB) and
// GPU resourceRequirements, which take precedence over the deprecated
// vcpus and memory (AWS Batch API Reference, ContainerProperties). A job
// that asks for no vCPU counts as one.
func jobNeeds(c *batch.ContainerDetail) Resources {
	r := Resources{VCPUs: batch.JobVCPUs(c)}
	if c == nil {
		return r
	}
	if c.Memory != nil {
		r.MemoryMiB = int64(*c.Memory)
	}
	for _, rr := range c.ResourceRequirements {
		switch rr.Type {
		case batch.ResourceTypeMemory:
			if v, err := strconv.ParseInt(rr.Value, 10, 64); err == nil && v >= 0 {
				r.MemoryMiB = v
			}
		case batch.ResourceTypeGpu:
			if v, err := strconv.Atoi(rr.Value); err == nil && v >= 0 {
				r.GPUs = v
			}
		}
	}
	return r
}

// ceCapacity is what a compute environment offers on a host: a MANAGED
// one min(maxvCpus, host vCPUs), an UNMANAGED one the host's vCPUs; memory
// and GPUs are the host's. (unmanagedvCpus only sizes fair-share
// reservations on AWS; batchd has no instances to count.)
func ceCapacity(ce *batch.ComputeEnvironmentDetail, host Resources) Resources {
	c := host
	if ce.Type == batch.CETypeManaged && ce.ComputeResources != nil && ce.ComputeResources.MaxvCpus != nil {
		c.VCPUs = min(c.VCPUs, float64(*ce.ComputeResources.MaxvCpus))
	}
	return c
}

// Reasons AWS shows for a RUNNABLE job at the head of a queue that cannot
// be placed (AWS Batch User Guide, "Jobs stuck in a RUNNABLE status"). The
// part before " - " is what jobStateTimeLimitActions.reason names.
const (
	reasonMaxResource = "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the CPU requirement of the job."
	reasonJobResource = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue."
	reasonInvalidCEs  = "ACTION_REQUIRED - CE(s) associated with the job queue are invalid."
)

// unplaceable says why no compute environment of ces could ever hold a
// job that needs need on host, or "" when one could: more than the host
// has is JOB_RESOURCE_REQUIREMENT ("None of the compute environments have
// instances that meet the job requirements"), more vCPUs than every
// maxvCpus COMPUTE_ENVIRONMENT_MAX_RESOURCE.
func unplaceable(need Resources, ces []*ceView, host Resources) string {
	for _, c := range ces {
		if need.fits(c.capacity) {
			return ""
		}
	}
	if !need.fits(host) {
		return reasonJobResource
	}
	return reasonMaxResource
}
