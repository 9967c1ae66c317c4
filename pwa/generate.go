package pwa

//go:generate go run ./internal/gen -out static/assets/icons
