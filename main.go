// Command spadework is a painting program: paint a landscape as a map of
// semantic labels (sky, mountain, sea, tree…) and a SPADE generator turns it
// into a photo, live, on the laptop, offline.
//
//	spadework                      open the painting app
//	spadework FILE.spw|FILE.png    open the app on a project or label map
//	spadework render|bench|import|styles|info …   command-line tools (-h for flags)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"spadework/assets"
	"spadework/internal/cli"
	"spadework/synth"
	"spadework/ui"
)

func main() {
	args := os.Args[1:]
	env := &cli.Env{
		Stdout:       os.Stdout,
		Stderr:       os.Stderr,
		DefaultModel: func() ([]byte, error) { return assets.DefaultModel(), nil },
	}
	if len(args) > 0 && cli.IsCommand(args[0]) {
		os.Exit(cli.Main(env, args))
	}
	if err := runApp(args); err != nil {
		fmt.Fprintln(os.Stderr, "spadework:", err)
		os.Exit(1)
	}
}

// runApp opens the painting app with the embedded default model.
func runApp(args []string) error {
	if err := checkCanOpenWindow(args, runtime.GOOS, os.Getenv); err != nil {
		return err
	}
	m, err := synth.Decode(assets.DefaultModel(), assets.DefaultModelName)
	if err != nil {
		return err
	}
	gen, err := ui.NewModelGenerator(m)
	if err != nil {
		return err
	}
	opts := ui.Options{Generator: gen, Thumbnails: assets.StyleThumbnails(), Icon: assets.Icon()}
	if len(args) == 1 {
		opts.Open = args[0]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ui.Run(ctx, opts)
}

// checkCanOpenWindow catches, before a window is attempted, the mistakes that
// would otherwise end in a GLFW panic or an empty app: no display to open a
// window on, and a first argument that is neither a command nor a file (a
// mistyped command such as "spadework rendr").
func checkCanOpenWindow(args []string, goos string, getenv func(string) string) error {
	if len(args) > 1 {
		return fmt.Errorf("expected at most one file to open, got %d arguments (see 'spadework -h')", len(args))
	}
	if len(args) == 1 {
		if _, err := os.Stat(args[0]); err != nil {
			return fmt.Errorf("%q is not a command, and opening it as a file failed: %w (see 'spadework -h')", args[0], err)
		}
	}
	// X11 and Wayland are found through the environment; macOS, Windows,
	// and the mobile targets always have a screen.
	switch goos {
	case "darwin", "windows", "ios", "android":
		return nil
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return fmt.Errorf("no display to open the painting window on (DISPLAY and WAYLAND_DISPLAY are unset); " +
			"without one, 'spadework render' paints from the command line (see 'spadework -h')")
	}
	return nil
}
