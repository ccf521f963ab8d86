// Command labelsjson prints a palette label set as the JSON list that a model
// file's `labels` metadata holds ([{"id":1,"name":"awning","color":"#d67848"}, …]),
// so train/export.py writes the same names and colours the app paints with.
//
//	go run ./internal/tools/labelsjson siftflow > train/siftflow_labels.json
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"spadework/palette"
)

type label struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: labelsjson SET (one of", palette.Names(), ")")
		os.Exit(2)
	}
	set, ok := palette.Lookup(os.Args[1])
	if !ok {
		fmt.Fprintf(os.Stderr, "labelsjson: unknown label set %q; known: %v\n", os.Args[1], palette.Names())
		os.Exit(2)
	}
	var out []label
	for _, l := range set.All() {
		out = append(out, label{int(l.ID), l.Name, fmt.Sprintf("#%02x%02x%02x", l.Color.R, l.Color.G, l.Color.B)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "labelsjson:", err)
		os.Exit(1)
	}
}
