package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCanOpenWindow(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lake.png")
	if err := os.WriteFile(file, []byte("not read here"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	x11 := env(map[string]string{"DISPLAY": ":0"})
	wayland := env(map[string]string{"WAYLAND_DISPLAY": "wayland-0"})
	none := env(nil)
	tests := []struct {
		name    string
		args    []string
		goos    string
		getenv  func(string) string
		wantErr string // "" means no error
	}{
		{"X11, no file", nil, "linux", x11, ""},
		{"Wayland, a file", []string{file}, "linux", wayland, ""},
		{"no display on Linux", nil, "linux", none, "no display"},
		{"no display on FreeBSD", []string{file}, "freebsd", none, "no display"},
		{"Windows needs no DISPLAY", nil, "windows", none, ""},
		{"macOS needs no DISPLAY", []string{file}, "darwin", none, ""},
		{"mistyped command", []string{"rendr"}, "linux", x11, `"rendr" is not a command`},
		{"missing file", []string{filepath.Join(t.TempDir(), "gone.spw")}, "linux", x11, "gone.spw"},
		{"two files", []string{file, file}, "linux", x11, "at most one file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkCanOpenWindow(tc.args, tc.goos, tc.getenv)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
