package dashboard

import (
	"strconv"
	"time"

	"github.com/keygate/keygate"
)

// usageRange is a span of the usage chart: how far back it goes and how
// long each bar is.
type usageRange struct {
	Value, Label string
	Span, Bucket time.Duration
	// TickEvery is how many bars apart the time axis is labelled, and
	// TickFormat how.
	TickEvery  int
	TickFormat string
}

// usageRanges are the chart's spans; the first is the default.
var usageRanges = []usageRange{
	{"24h", "24 hours", 24 * time.Hour, time.Hour, 4, "15:04"},
	{"7d", "7 days", 7 * 24 * time.Hour, 6 * time.Hour, 4, "Mon 2"},
	{"30d", "30 days", 30 * 24 * time.Hour, 24 * time.Hour, 5, "2 Jan"},
}

func usageRangeOf(v string) usageRange {
	for _, r := range usageRanges {
		if r.Value == v {
			return r
		}
	}
	return usageRanges[0]
}

// start is the first instant the range shows, ending at now: whole buckets,
// the last of which holds now.
func (r usageRange) start(now time.Time) time.Time {
	n := int(r.Span / r.Bucket)
	return now.UTC().Truncate(r.Bucket).Add(-time.Duration(n-1) * r.Bucket)
}

// The chart's geometry, in SVG units: a plot area with room on the left
// for the requests axis and below for the time axis.
const (
	chartW, chartH         = 640, 240
	plotX0, plotX1         = 56, 628
	plotY0, plotY1         = 20, 196
	plotWidth, plotHeight  = plotX1 - plotX0, plotY1 - plotY0
	gapBetweenBarsFraction = 5 // a bar takes 4/5 of its slot
)

// chart is the usage chart, laid out for the SVG.
type chart struct {
	KeyID          string
	Range          usageRange
	Ranges         []usageRange
	Total, Peak    int64
	Forbidden      int64 // requests refused for want of a permission
	Bars           []chartBar
	YTicks         []chartTick
	XTicks         []chartTick
	Width, Height  int
	X0, X1, Y0, Y1 int
	BarUnit        string // "hour", "6 hours", "day"
}

type chartBar struct {
	X, Y, W, H int
	Label      string
}

type chartTick struct {
	Pos   int
	Label string
}

// newChart lays out usage over rg ending at now.
func newChart(usage []keygate.Usage, rg usageRange, now time.Time) chart {
	start := rg.start(now)
	n := int(rg.Span / rg.Bucket)
	counts := make([]int64, n)
	c := chart{Range: rg, Ranges: usageRanges, Width: chartW, Height: chartH, X0: plotX0, X1: plotX1, Y0: plotY0, Y1: plotY1}
	for _, u := range usage {
		if i := int(u.Hour.Sub(start) / rg.Bucket); i >= 0 && i < n {
			counts[i] += u.Requests
			c.Forbidden += u.Forbidden
		}
	}
	for _, v := range counts {
		c.Peak, c.Total = max(c.Peak, v), c.Total+v
	}
	top := niceCeiling(c.Peak)
	for _, v := range []int64{0, top / 2, top} {
		c.YTicks = append(c.YTicks, chartTick{Pos: plotY1 - int(v*plotHeight/top), Label: strconv.FormatInt(v, 10)})
	}
	slot := float64(plotWidth) / float64(n)
	for i, v := range counts {
		h := int(v * plotHeight / top)
		if v > 0 && h == 0 {
			h = 1 // a request is never invisible
		}
		at := start.Add(time.Duration(i) * rg.Bucket)
		x := plotX0 + int(float64(i)*slot)
		c.Bars = append(c.Bars, chartBar{X: x + 1, Y: plotY1 - h, W: max(1, int(slot*(gapBetweenBarsFraction-1)/gapBetweenBarsFraction)), H: h,
			Label: at.Format("2 Jan 15:04") + " UTC: " + strconv.FormatInt(v, 10) + " requests"})
		if i%rg.TickEvery == 0 {
			c.XTicks = append(c.XTicks, chartTick{Pos: x + int(slot/2), Label: at.Format(rg.TickFormat)})
		}
	}
	c.BarUnit = map[time.Duration]string{time.Hour: "hour", 6 * time.Hour: "6 hours", 24 * time.Hour: "day"}[rg.Bucket]
	return c
}

// niceCeiling is the smallest of 2, 4, 10, 20, 40, 100, … (1, 2 and 5
// steps halved cleanly) at or above v, so the axis reads in round numbers.
func niceCeiling(v int64) int64 {
	for base := int64(1); ; base *= 10 {
		for _, m := range []int64{2, 4, 10} {
			if base*m >= v {
				return base * m
			}
		}
	}
}
