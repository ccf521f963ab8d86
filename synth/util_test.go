package synth

import (
	"bytes"
	"time"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func timeSleepMs(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond) }
