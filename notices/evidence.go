package notices

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Where a photo of a fine came from.
const (
	PhotoByOfficer = "officer" // taken by the officer who issued the fine
	PhotoByCamera  = "camera"  // the frame of a detection camera's import
	PhotoByDriver  = "driver"  // attached by the recipient to a review request
)

// Limits of the evidence kept with one fine. The images are re-encoded
// before they reach the domain (see package evidence), so these bound what
// the store keeps, not what a client may send.
const (
	MaxPhotosPerFine = 12
	MaxPhotoBytes    = 1 << 20
)

// Photo describes one image stored with a fine. The image itself lives in
// the store beside the fine (EvidenceStore); the fine carries its SHA-256,
// so the fine's ledger entry vouches for the bytes.
type Photo struct {
	N       int       `json:"n"` // 1, 2, … in order of addition
	Source  string    `json:"source"`
	SHA256  string    `json:"sha256"`
	Bytes   int       `json:"bytes"`
	Width   int       `json:"width"`
	Height  int       `json:"height"`
	AddedAt time.Time `json:"addedAt"`
	AddedBy string    `json:"addedBy,omitempty"`
}

// NewPhoto is an image to store with a fine: its re-encoded JPEG bytes and
// what is known of it. The store numbers it and fills SHA256 and Bytes.
type NewPhoto struct {
	JPEG          []byte
	Width, Height int
	Source        string
	AddedBy       string
}

// AddPhotos appends the photos to the fine's evidence, numbered after the
// ones it has, and returns their numbers. Stores call it inside the
// transaction that writes the images. Errors: EValidation (no photo, an
// unknown source, too large, or more than MaxPhotosPerFine in all).
func (f *Fine) AddPhotos(ps []NewPhoto, now time.Time) ([]int, error) {
	if len(ps) == 0 {
		return nil, Errorf(EValidation, "no photo to add")
	}
	if len(f.Photos)+len(ps) > MaxPhotosPerFine {
		return nil, Errorf(EValidation, "a fine keeps at most %d photos", MaxPhotosPerFine)
	}
	nums := make([]int, 0, len(ps))
	for _, p := range ps {
		switch {
		case p.Source != PhotoByOfficer && p.Source != PhotoByCamera && p.Source != PhotoByDriver:
			return nil, Errorf(EValidation, "unknown photo source %q", p.Source)
		case len(p.JPEG) == 0 || len(p.JPEG) > MaxPhotoBytes || p.Width <= 0 || p.Height <= 0:
			return nil, Errorf(EValidation, "a photo is 1 byte to %d bytes, with its size in pixels", MaxPhotoBytes)
		}
		sum := sha256.Sum256(p.JPEG)
		n := len(f.Photos) + 1
		f.Photos = append(f.Photos, Photo{N: n, Source: p.Source, SHA256: hex.EncodeToString(sum[:]), Bytes: len(p.JPEG),
			Width: p.Width, Height: p.Height, AddedAt: now, AddedBy: p.AddedBy})
		nums = append(nums, n)
	}
	f.UpdatedAt = now
	return nums, nil
}

// Photo returns the description of photo n.
func (f *Fine) Photo(n int) (Photo, bool) {
	if n < 1 || n > len(f.Photos) {
		return Photo{}, false
	}
	return f.Photos[n-1], true
}
