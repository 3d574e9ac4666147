package mock

import (
	"bytes"
	"encoding/binary"
	"math"
	"time"
)

// Voicemail audio is 8 kHz, 16-bit, mono PCM in a RIFF/WAVE container, the
// format of app_voicemail's "wav" (not "WAV", which is GSM) files.
const (
	wavRate       = 8000
	wavBytes      = 2
	wavHeaderSize = 44
)

func wavSize(d time.Duration) int64 {
	return wavHeaderSize + int64(d.Seconds()*wavRate)*wavBytes
}

// wavTone returns a WAV file of a sine tone of freq Hz lasting d, fading in
// and out so that it does not click.
func wavTone(d time.Duration, freq float64) []byte {
	n := int(d.Seconds() * wavRate)
	var b bytes.Buffer
	b.Grow(wavHeaderSize + n*wavBytes)
	le := binary.LittleEndian
	data := uint32(n * wavBytes)
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, 36+data)
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, le, uint32(16))         // fmt chunk size
	_ = binary.Write(&b, le, uint16(1))          // PCM
	_ = binary.Write(&b, le, uint16(1))          // mono
	_ = binary.Write(&b, le, uint32(wavRate))    // sample rate
	_ = binary.Write(&b, le, uint32(wavRate*2))  // byte rate
	_ = binary.Write(&b, le, uint16(wavBytes))   // block align
	_ = binary.Write(&b, le, uint16(8*wavBytes)) // bits per sample
	b.WriteString("data")
	_ = binary.Write(&b, le, data)
	fade := wavRate / 50 // 20 ms
	sample := make([]byte, 2)
	for i := range n {
		amp := 0.3
		if i < fade {
			amp *= float64(i) / float64(fade)
		} else if n-i < fade {
			amp *= float64(n-i) / float64(fade)
		}
		v := int16(amp * math.MaxInt16 * math.Sin(2*math.Pi*freq*float64(i)/wavRate))
		le.PutUint16(sample, uint16(v))
		b.Write(sample)
	}
	return b.Bytes()
}
