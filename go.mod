module github.com/pbxkit/pbxkit

go 1.25.0

require (
	github.com/go-sql-driver/mysql v1.9.3
	github.com/staskobzar/goami2 v1.7.6
	go.uber.org/goleak v1.3.0
)

require filippo.io/edwards25519 v1.1.0 // indirect
