// Package cli implements Spadework's command-line subcommands: render, bench,
// import and styles. With no subcommand the program opens the painting app,
// which main.go handles.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// command is one subcommand: its name, a one-line summary and its entry point.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// Env is what a subcommand may touch of the outside world; tests replace it.
type Env struct {
	Stdout, Stderr io.Writer
	// DefaultModel returns the bytes of the embedded default model.
	DefaultModel func() ([]byte, error)
}

var commands = []command{
	{"render", "render a label-map PNG to a photo", runRender},
	{"bench", "time the generator: ms per frame and GFLOP/s", runBench},
	{"import", "convert an official SPADE checkpoint (.pth) to a Spadework model", runImport},
	{"styles", "list a model's style presets", runStyles},
	{"info", "describe a model file: config, labels, size, MACs", runInfo},
	{"scene", "write a ready-made landscape label map (sky, mountains, lake, trees)", runScene},
}

// IsCommand reports whether name is a subcommand (or a help flag), so main
// knows whether to start the GUI.
func IsCommand(name string) bool {
	if name == "help" || name == "-h" || name == "--help" {
		return true
	}
	for _, c := range commands {
		if c.name == name {
			return true
		}
	}
	return false
}

// Main runs the subcommand named by args[0] and returns the process exit code.
func Main(env *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		err := c.run(ctx, env, args[1:])
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "spadework %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(env.Stderr, "spadework: unknown command %q\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: spadework [command] [flags]")
	fmt.Fprintln(w, "With no command, opens the painting app. Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "Run 'spadework COMMAND -h' for a command's flags.")
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("spadework "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseSize reads "WxH" ("" means 0x0: the model's native size).
func parseSize(s string) (w, h int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		return 0, 0, fmt.Errorf("size %q: want WxH, e.g. 256x256", s)
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 8192 || h > 8192 {
		return 0, 0, fmt.Errorf("size %q: want two positive whole numbers up to 8192, e.g. 256x256", s)
	}
	return w, h, nil
}

// defaultThreads is the number of cores, the engine's default.
func defaultThreads() int { return runtime.GOMAXPROCS(0) }

// sortedKeys returns m's keys in order, for stable output.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
