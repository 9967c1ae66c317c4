package boltdb

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// timeKey encodes t so that byte order is time order: Unix nanoseconds
// with the sign bit flipped (negative instants sort first), big-endian.
func timeKey(t time.Time) [8]byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(t.UnixNano())^(1<<63))
	return k
}

// u64 is the big-endian key of a sequence number: byte order is numeric
// order, so cursors walk the ledger in append order.
func u64(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

// indexKey builds prefix ‖ time(8) ‖ id, the key shape of every
// time-ordered index.
func indexKey(prefix []byte, t time.Time, id string) []byte {
	tk := timeKey(t)
	k := make([]byte, 0, len(prefix)+8+len(id))
	k = append(k, prefix...)
	k = append(k, tk[:]...)
	return append(k, id...)
}

// platePrefix and statusPrefix end with 0x00, which no plate (letters and
// digits) or status contains, so one plate's keys never run into another's.
func platePrefix(plate string) []byte      { return append([]byte(plate), 0) }
func statusPrefix(s notices.Status) []byte { return append([]byte(s), 0) }

// idemKey keeps scope and key apart with a length prefix, so that no
// choice of either can collide with another pair.
func idemKey(scope, key string) []byte {
	k := binary.AppendUvarint(nil, uint64(len(scope)))
	k = append(k, scope...)
	return append(k, key...)
}

// storedFine is how a fine sits on disk: every field of notices.Fine with
// its domain JSON name (embedding means new domain fields are stored
// without touching this adapter), except the violation, which is replaced
// by the content address of its catalogue entry. A fine copies the entry
// it was issued under; storing that copy once instead of in every fine
// saves about 250 bytes per fine, a quarter of a gigabyte per million.
type storedFine struct {
	*notices.Fine
	Violation string `json:"violation"` // shadows Fine.Violation
}

// violationRef returns the content address of v: the first 16 bytes of
// the SHA-256 of its JSON, in hex. Being content-addressed, an entry cannot
// be edited without VerifyLedger noticing.
func (s *Store) violationRef(v notices.Violation) (string, error) {
	s.vmu.RLock()
	ref, ok := s.vrefs[v]
	s.vmu.RUnlock()
	if ok {
		return ref, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	ref = contentRef(b)
	s.vmu.Lock()
	s.vrefs[v], s.violations[ref] = ref, v
	s.vmu.Unlock()
	return ref, nil
}

func contentRef(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// encodeFine stores f's violation entry if it is new and returns the bytes
// of the fine as stored in the fines bucket.
func (s *Store) encodeFine(tx *bolt.Tx, f *notices.Fine) ([]byte, error) {
	ref, err := s.violationRef(f.Violation)
	if err != nil {
		return nil, err
	}
	vbkt := tx.Bucket(bktViolations)
	if vbkt.Get([]byte(ref)) == nil {
		vb, err := json.Marshal(f.Violation)
		if err != nil {
			return nil, err
		}
		if err := vbkt.Put([]byte(ref), vb); err != nil {
			return nil, err
		}
	}
	return json.Marshal(storedFine{Fine: f, Violation: ref})
}

// decodeFine reads a stored fine and resolves its violation reference.
// The returned fine owns all its memory: nothing points into the mmap.
func (s *Store) decodeFine(tx *bolt.Tx, b []byte) (notices.Fine, error) {
	var f notices.Fine
	sf := storedFine{Fine: &f}
	if err := json.Unmarshal(b, &sf); err != nil {
		return notices.Fine{}, fmt.Errorf("decode fine: %w", err)
	}
	v, err := s.violation(tx, sf.Violation)
	if err != nil {
		return notices.Fine{}, fmt.Errorf("fine %s: %w", f.ID, err)
	}
	f.Violation = v
	// JSON keeps only the offset; Rome is what every rule reads it in.
	f.OccurredAt = f.OccurredAt.In(notices.Rome)
	return f, nil
}

// violation resolves a content address, from the cache when possible.
func (s *Store) violation(tx *bolt.Tx, ref string) (notices.Violation, error) {
	s.vmu.RLock()
	v, ok := s.violations[ref]
	s.vmu.RUnlock()
	if ok {
		return v, nil
	}
	b := tx.Bucket(bktViolations).Get([]byte(ref))
	if b == nil {
		return notices.Violation{}, fmt.Errorf("violation entry %s missing", ref)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return notices.Violation{}, fmt.Errorf("violation entry %s: %w", ref, err)
	}
	s.vmu.Lock()
	s.violations[ref], s.vrefs[v] = v, ref
	s.vmu.Unlock()
	return v, nil
}
