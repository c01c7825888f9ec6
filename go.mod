module gophene

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	golang.org/x/arch v0.33.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
