package batch

import (
	"math"
	"strconv"
)

// Bounds of a resource requirement's value. AWS documents minimums (one
// vCPU on EC2, 0.25 on Fargate, 4 MiB, one GPU) and no maximum; batchd
// takes whole decimal numbers within what a host could hold, so that a
// value such as "1e300" or "NaN" is refused instead of blocking its queue.
const (
	maxVCPUValue   = 1 << 20 // vCPUs
	maxMemoryValue = math.MaxInt32
	maxGPUValue    = 1 << 16
)

// resourceValue checks the value of a resource requirement of type typ
// written as AWS writes them: decimal digits, and for VCPU an optional
// fraction (Fargate's 0.25 and 0.5); no sign, exponent, NaN or infinity.
// It returns why the value is refused, or "".
func resourceValue(typ, value string) string {
	digits, frac, dot := 0, 0, false
	for _, c := range []byte(value) {
		switch {
		case c >= '0' && c <= '9':
			if dot {
				frac++
			} else {
				digits++
			}
		case c == '.' && !dot && typ == ResourceTypeVcpu:
			dot = true
		default:
			return "must be a decimal number"
		}
	}
	if digits == 0 || dot && frac == 0 {
		return "must be a decimal number"
	}
	v, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return "must be a decimal number"
	}
	switch typ {
	case ResourceTypeVcpu:
		if v <= 0 || v > maxVCPUValue {
			return "must be more than 0 and at most " + strconv.Itoa(maxVCPUValue)
		}
	case ResourceTypeMemory:
		if v > maxMemoryValue {
			return "must be at most " + strconv.Itoa(maxMemoryValue) + " MiB"
		}
	case ResourceTypeGpu:
		if v > maxGPUValue {
			return "must be at most " + strconv.Itoa(maxGPUValue)
		}
	}
	return ""
}
