module github.com/keygate/keygate

go 1.26.8

require (
	github.com/oklog/ulid/v2 v2.1.2
	github.com/stretchr/testify v1.12.1
	golang.org/x/crypto v0.58.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
