//go:build !linux

package s3test

import "errors"

// StalledConnect is for Linux only: elsewhere it returns an error, and the test is skipped.
func StalledConnect() (addr string, release func(), err error) {
	return "", nil, errors.New("a connect that hangs is made on Linux only")
}
