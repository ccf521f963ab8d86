// Command spadework-harness runs the Spadework UI without the embedded model:
// with the demo generator (flat shading, no weights) or a model file. The
// real-window test (.ci/window_test.sh) drives it until the spadework binary
// exists; it is also handy for working on the UI without waiting for a model.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"spadework/palette"
	"spadework/ui"
)

func main() {
	model := flag.String("model", "", "model file (.safetensors); empty uses the demo generator")
	size := flag.Int("size", 512, "side of the new painting")
	open := flag.String("open", "", "project or label-map PNG to open")
	data := flag.String("data", "", "folder for autosaves (default: the user's config folder)")
	seed := flag.Uint64("seed", 1, "first random style's seed (0 picks one)")
	flag.Parse()

	opts := ui.Options{DocSize: *size, Open: *open, DataDir: *data, Seed: *seed}
	if *model != "" {
		g, err := ui.ModelLoader(*model)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		opts.Generator = g
	} else {
		opts.Generator = ui.NewDemoGenerator(palette.Default(), 256, 256)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := ui.Run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
