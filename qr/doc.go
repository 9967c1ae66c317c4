// Package qr turns notices into the codes printed on them and back: the
// pagoPA payload and the checkout link (encode and strict parse), QR symbols
// as PNG and SVG, decoding of phone photos, and the printable PDF notice and
// receipt.
//
// It is a pure library: the HTTP adapter wires these functions to routes.
// Every failure that a client can cause is a *notices.Error with a stable
// code, so that the adapter maps it to a status in one place and bad input
// never becomes a 500.
package qr

// Error codes of this package, in addition to those of package notices
// (invalid_notice_number, invalid_fiscal_code, validation_failed). They are
// stable words that clients branch on: never rename them.
const (
	// EInvalidQRPayload: the text is neither a pagoPA payload nor one of
	// our checkout links, or is malformed as one.
	EInvalidQRPayload = "invalid_qr_payload"
	// EUnsupportedQRVersion: a pagoPA payload of a version other than 002.
	EUnsupportedQRVersion = "unsupported_qr_version"
	// EInvalidAmount: the amount field is not 1 to 11 digits, or is zero,
	// or (when encoding) does not fit in 10 digits.
	EInvalidAmount = "invalid_amount"
	// ENoCodeFound: the image was read but holds no readable QR code.
	ENoCodeFound = "no_code_found"
	// EUnsupportedImage: the bytes are not a JPEG or PNG image.
	EUnsupportedImage = "unsupported_image"
	// EInvalidImage: a JPEG or PNG that is empty, truncated or corrupt.
	EInvalidImage = "invalid_image"
	// EImageTooLarge: the image's dimensions exceed MaxPixels; it is
	// refused before its pixels are decoded.
	EImageTooLarge = "image_too_large"
)
