package canvas_test

import (
	"bytes"
	"fmt"
	"image"

	"spadework/canvas"
	"spadework/palette"
)

func Example() {
	set := palette.SIFTFlow
	sky, _ := set.ByName("sky")
	sea, _ := set.ByName("sea")
	doc, err := canvas.New(set, 256, 256, sky.ID)
	if err != nil {
		panic(err)
	}
	// One drag is one undo step.
	doc.BeginStroke()
	doc.BrushTo(image.Pt(0, 200), 40, sea.ID)
	doc.BrushTo(image.Pt(255, 190), 40, sea.ID)
	doc.EndStroke()
	doc.Fill(image.Pt(0, 255), sea.ID)

	snap := doc.Snapshot() // for the render worker
	fmt.Println(snap.Image.Bounds(), doc.UndoSteps())

	var file bytes.Buffer
	if err := doc.Save(&file); err != nil {
		panic(err)
	}
	// Opened again for a Cityscapes model, which has no sea.
	again, fallbacks, err := canvas.LoadWith(&file, "painting.spw", canvas.LoadOptions{Target: palette.Cityscapes})
	if err != nil {
		panic(err)
	}
	fmt.Println(again.Set().Title)
	for _, f := range fallbacks {
		fmt.Println(f)
	}
	// Output:
	// (0,0)-(256,256) 2
	// Cityscapes
	// sea (25) → unlabeled (0): no counterpart
}
