package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"runtime"
	"slices"
	"time"
)

// benchResult is one line of `spadework bench` output.
type benchResult struct {
	Engine        string  `json:"engine"`
	Model         string  `json:"model"`
	Threads       int     `json:"threads"`
	Size          string  `json:"size"`
	MsMedian      float64 `json:"ms_median"`
	MsMin         float64 `json:"ms_min"`
	Runs          int     `json:"runs"`
	DenseGFLOPs   float64 `json:"dense_gflops_per_s"`
	AllocsPerRun  float64 `json:"allocs_per_frame"`
	BytesPerFrame float64 `json:"bytes_per_frame"`
}

func runBench(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bench")
	modelPath := fs.String("model", "default", "model file (.safetensors) or 'default'")
	size := fs.String("size", "", "frame size WxH (default: the model's native size)")
	threads := fs.Int("threads", defaultThreads(), "CPU threads")
	runs := fs.Int("runs", 9, "timed frames (the median is reported)")
	warmup := fs.Int("warmup", 2, "untimed frames first (at least one per label map)")
	device := fs.String("device", "cpu", "cpu, gpu or auto")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	labelFiles := fs.Args()
	if *runs < 1 || *warmup < 0 {
		return fmt.Errorf("-runs must be at least 1 and -warmup at least 0")
	}
	m, w, h, err := loadModelSized(env, *modelPath, *size)
	if err != nil {
		return err
	}
	var maps []*image.Paletted
	for _, f := range labelFiles {
		lm, err := readLabelPNG(f)
		if err != nil {
			return err
		}
		maps = append(maps, lm)
	}
	if len(maps) == 0 {
		lm, err := landscapeScene(modelLabelLookup(m), w, h)
		if err != nil {
			return err
		}
		maps = append(maps, lm)
	}
	r, used, err := openRenderer(ctx, env, m, w, h, *threads, *device)
	if err != nil {
		return err
	}
	defer r.Close()
	z := make([]float32, m.Config().ZDim)
	for i := range z {
		z[i] = float32(i%7)/7 - 0.4
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	// Warm up on every map: buffers that grow with a map's label boundaries
	// reach their size once per map, not once per frame.
	nwarm := max(*warmup, len(maps))
	for i := 0; i < nwarm; i++ {
		if err := r.Render(ctx, maps[i%len(maps)], z, dst); err != nil {
			return err
		}
	}
	times := make([]float64, 0, *runs)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < *runs; i++ {
		t := time.Now()
		if err := r.Render(ctx, maps[i%len(maps)], z, dst); err != nil {
			return err
		}
		times = append(times, float64(time.Since(t).Microseconds())/1000)
	}
	runtime.ReadMemStats(&after)
	slices.Sort(times)
	med := times[len(times)/2]
	if len(times)%2 == 0 {
		med = (times[len(times)/2-1] + times[len(times)/2]) / 2
	}
	res := benchResult{
		Engine:        "spadework " + used,
		Model:         m.ID(),
		Threads:       *threads,
		Size:          fmt.Sprintf("%dx%d", w, h),
		MsMedian:      round1(med),
		MsMin:         round1(times[0]),
		Runs:          *runs,
		DenseGFLOPs:   round1(2 * float64(m.MACs(w, h)) / (med / 1000) / 1e9),
		AllocsPerRun:  float64(after.Mallocs-before.Mallocs) / float64(*runs),
		BytesPerFrame: float64(after.TotalAlloc-before.TotalAlloc) / float64(*runs),
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(res)
	}
	fmt.Fprintf(env.Stdout, "%s  %s  %s  threads %d  %.1f ms/frame (median of %d, min %.1f)  %.1f GFLOP/s dense-equivalent  %.0f allocs/frame\n",
		res.Engine, res.Model, res.Size, res.Threads, res.MsMedian, res.Runs, res.MsMin, res.DenseGFLOPs, res.AllocsPerRun)
	return nil
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }
