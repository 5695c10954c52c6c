package badgerkv_test

import "os"

type stderr struct{}

func (stderr) Write(p []byte) (int, error) { return os.Stderr.Write(p) }
