package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// A rotated refresh token keeps its successor, sealed, in the store, so
// that a second use within RefreshGrace gets that same successor from any
// server sharing the database: the grace no longer depends on both uses
// reaching the process that rotated the token. The store holds only
// hashes of live tokens; the successor is sealed with AES-256-GCM under a
// key derived from the signing key (which every server of a city shares,
// as their sessions must verify everywhere), bound to the old token's
// hash, so a copy of the database does not yield a usable token.

// successorKeyLabel separates the sealing key from the signing key's use.
const successorKeyLabel = "multa/refresh-successor/v1"

// newSuccessorAEAD derives the sealing cipher from the signing key.
func newSuccessorAEAD(signingKey []byte) (cipher.AEAD, error) {
	mac := hmac.New(sha256.New, signingKey)
	mac.Write([]byte(successorKeyLabel))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealSuccessor seals next for storage on the token whose hash is oldHash.
func (s *Service) sealSuccessor(oldHash, next string) ([]byte, error) {
	nonce := make([]byte, s.successors.NonceSize(), s.successors.NonceSize()+len(next)+s.successors.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.successors.Seal(nonce, nonce, []byte(next), []byte(oldHash)), nil
}

// openSuccessor returns the successor sealed on the token oldHash; it
// fails for a record sealed under another key or moved to another token.
func (s *Service) openSuccessor(oldHash string, sealed []byte) (string, error) {
	n := s.successors.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed successor too short")
	}
	next, err := s.successors.Open(nil, sealed[:n], sealed[n:], []byte(oldHash))
	return string(next), err
}
