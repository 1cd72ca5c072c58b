// Package s3test runs a real S3 server for tests: versitygw with a posix root in a temporary
// directory, on a random loopback port, from the binary that FLOWLENS_VERSITYGW names (make test
// installs it and sets the variable).
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The server's credentials: test values, not secrets.
const (
	AccessKey = "flowlens-test"
	SecretKey = "flowlens-test-secret"
)

// Server is a running versitygw.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	root string
}

// Start starts the server; it returns nil, nil when FLOWLENS_VERSITYGW is not set.
func Start() (*Server, error) {
	bin := os.Getenv("FLOWLENS_VERSITYGW")
	if bin == "" {
		return nil, nil
	}
	root, err := os.MkdirTemp("", "flowlens-versitygw-")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--port", addr, "posix", root)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", bin, err)
	}
	s := &Server{URL: "http://" + addr, cmd: cmd, root: root}
	for i := 0; i < 150; i++ {
		if resp, err := http.Get(s.URL + "/"); err == nil {
			resp.Body.Close()
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("versitygw did not answer on %s:\n%s", addr, logs.String())
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
	os.RemoveAll(s.root)
}

// Client returns an SDK client straight to the server.
func (s *Server) Client() (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")))
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(s.URL); o.UsePathStyle = true }), nil
}

// Upload creates bucket (if new) and puts every file below dir under prefix.
func (s *Server) Upload(bucket, prefix, dir string) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	ctx := context.Background()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		return err
	}
	return filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + filepath.ToSlash(rel)), Body: bytes.NewReader(b)})
		return err
	})
}

// Env returns the environment for a client of the server: its credentials, and no config files.
func Env(dir string) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":           AccessKey,
		"AWS_SECRET_ACCESS_KEY":       SecretKey,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"),
		"AWS_REGION":                  "us-east-1",
	}
}
