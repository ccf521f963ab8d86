package synth

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// Config is the subset of the reference implementation's options that
// shapes the networks. The JSON names are the reference's option names, as
// stored in a model file's `config` metadata.
type Config struct {
	LabelNC              int     `json:"label_nc"`
	ContainDontcareLabel bool    `json:"contain_dontcare_label"`
	NoInstance           bool    `json:"no_instance"`
	NGF                  int     `json:"ngf"`
	NHidden              int     `json:"nhidden"`
	NormG                string  `json:"norm_G"`
	NormE                string  `json:"norm_E"`
	NumUpsamplingLayers  string  `json:"num_upsampling_layers"`
	CropSize             int     `json:"crop_size"`
	AspectRatio          float64 `json:"aspect_ratio"`
	UseVAE               bool    `json:"use_vae"`
	ZDim                 int     `json:"z_dim"`
}

// DefaultConfig holds the reference's defaults; a model's `config` JSON is
// decoded on top of it, so omitted options mean what they mean there.
func DefaultConfig() Config {
	return Config{
		LabelNC: 182, ContainDontcareLabel: false, NoInstance: false,
		NGF: 64, NHidden: 128, NormG: "spectralspadesyncbatch3x3", NormE: "spectralinstance",
		NumUpsamplingLayers: "normal", CropSize: 256, AspectRatio: 1, UseVAE: false, ZDim: 256,
	}
}

// ParseConfig decodes a `config` JSON object over DefaultConfig and validates it.
func ParseConfig(js string) (Config, error) {
	c := DefaultConfig()
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		return c, fmt.Errorf("config: %v", err)
	}
	return c, c.Validate()
}

// SemanticNC is the number of generator input channels: the classes, the
// don't-care channel if any, and the instance-edge channel unless no_instance.
func (c Config) SemanticNC() int {
	n := c.LabelNC
	if c.ContainDontcareLabel {
		n++
	}
	if !c.NoInstance {
		n++
	}
	return n
}

// labelChannels is SemanticNC without the instance-edge channel: the
// channels a label id can map to.
func (c Config) labelChannels() int {
	if c.ContainDontcareLabel {
		return c.LabelNC + 1
	}
	return c.LabelNC
}

// Upsamplings is the number of ×2 nearest upsamplings between the first
// feature map and the output: 5 (normal), 6 (more) or 7 (most).
func (c Config) Upsamplings() int {
	switch c.NumUpsamplingLayers {
	case "more":
		return 6
	case "most":
		return 7
	}
	return 5
}

// LatentSize is (sw, sh), the size of the generator's first feature map at
// the native output size, computed as the reference does (Python round,
// which rounds halves to even).
func (c Config) LatentSize() (sw, sh int) {
	sw = c.CropSize >> c.Upsamplings()
	sh = int(math.RoundToEven(float64(sw) / c.AspectRatio))
	return sw, sh
}

var normGRe = regexp.MustCompile(`^(spectral)?spade(batch|syncbatch|instance)(\d)x\d$`)

// spadeNorm splits norm_G into the param-free norm kind and the SPADE kernel size.
func (c Config) spadeNorm() (instance bool, ks int, err error) {
	m := normGRe.FindStringSubmatch(c.NormG)
	if m == nil {
		return false, 0, fmt.Errorf("config: norm_G %q is not (spectral)spade(batch|syncbatch|instance)KxK", c.NormG)
	}
	ks, _ = strconv.Atoi(m[3])
	if ks%2 == 0 {
		return false, 0, fmt.Errorf("config: norm_G %q: SPADE kernel size must be odd", c.NormG)
	}
	return m[2] == "instance", ks, nil
}

// Validate reports options this engine cannot build.
func (c Config) Validate() error {
	switch {
	case c.LabelNC < 1 || c.LabelNC > 1024:
		return fmt.Errorf("config: label_nc %d out of range 1..1024", c.LabelNC)
	case c.NGF < 1 || c.NGF > 1024:
		return fmt.Errorf("config: ngf %d out of range 1..1024", c.NGF)
	case c.NHidden < 1 || c.NHidden > 4096:
		return fmt.Errorf("config: nhidden %d out of range 1..4096", c.NHidden)
	case c.NumUpsamplingLayers != "normal" && c.NumUpsamplingLayers != "more" && c.NumUpsamplingLayers != "most":
		return fmt.Errorf("config: num_upsampling_layers %q is not normal, more or most", c.NumUpsamplingLayers)
	case c.NumUpsamplingLayers == "most" && c.NGF < 2:
		return fmt.Errorf("config: num_upsampling_layers most needs ngf >= 2 (up_4 has ngf/2 channels)")
	case !(c.AspectRatio > 0) || c.AspectRatio > 64:
		return fmt.Errorf("config: aspect_ratio %v out of range", c.AspectRatio)
	case c.CropSize < 1 || c.CropSize > 8192:
		return fmt.Errorf("config: crop_size %d out of range 1..8192", c.CropSize)
	case c.UseVAE && (c.ZDim < 1 || c.ZDim > 1<<16):
		return fmt.Errorf("config: z_dim %d out of range", c.ZDim)
	}
	if _, _, err := c.spadeNorm(); err != nil {
		return err
	}
	if m := regexp.MustCompile(`^(spectral)?instance$`).MatchString(c.NormE); !m {
		return fmt.Errorf("config: norm_E %q is not (spectral)instance", c.NormE)
	}
	sw, sh := c.LatentSize()
	if sw < 1 || sh < 1 {
		return fmt.Errorf("config: crop_size %d, aspect_ratio %v and %d upsamplings give a %dx%d first feature map",
			c.CropSize, c.AspectRatio, c.Upsamplings(), sw, sh)
	}
	return nil
}
