package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestConcurrentBigImportsStayUnderTheMemoryLimit posts four big sheets
// at once to the real binary, all four allowed to run together, each row
// a problem (the report's cap holds) and every row read: the server's peak
// resident memory stays under 1 GiB. CI runs it with 8 MiB sheets;
// CREDREG_LONG_TESTS=1 runs the attack as measured (60 MiB each).
func TestConcurrentBigImportsStayUnderTheMemoryLimit(t *testing.T) {
	size := 8 << 20
	if os.Getenv("CREDREG_LONG_TESTS") == "1" {
		size = 60 << 20
	}
	store := "badger://" + t.TempDir()
	inst := start(t, store)
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out, code := credreg(t, "token", "create", "--store", store, "--agency", "Heartland Workforce Commission")
	if code != 0 {
		t.Fatalf("token create: %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	inst = start(t, store, "--max-imports", "4")

	// Every row names a Cluster that does not exist: each is a problem,
	// none is written, so the run measures reading and reporting.
	var sheet bytes.Buffer
	sheet.WriteString("Credential Name,Owner,Career Cluster,Region,Description\n")
	filler := strings.Repeat("a long description of what the holder can do ", 10)
	for i := 0; sheet.Len() < size; i++ {
		fmt.Fprintf(&sheet, "Credential %d,CompTIA,Cluster %d,Statewide,%s\n", i, i, filler)
	}
	body := sheet.Bytes()

	peak := make(chan int64, 1)
	stop := make(chan struct{})
	go func() {
		var max int64
		for {
			if kb := residentPeakKiB(inst.cmd.Process.Pid); kb > max {
				max = kb
			}
			select {
			case <-stop:
				peak <- max
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, inst.url+"/import", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("Content-Type", "text/csv")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			answer, _ := io.ReadAll(res.Body)
			codes[i] = res.StatusCode
			if res.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(answer, []byte(`"problemsOmitted"`)) {
				t.Errorf("import %d: %d %.300s", i, res.StatusCode, answer)
			}
			if len(answer) > 16<<20 {
				t.Errorf("import %d: the report is %d MiB", i, len(answer)>>20)
			}
		}(i)
	}
	wg.Wait()
	close(stop)
	kib := <-peak
	t.Logf("4 × %d MiB sheets (%d rows each) at once: answers %v in %v, server peak RSS %d MiB", size>>20, bytes.Count(body, []byte{'\n'})-1, codes, time.Since(start).Round(time.Millisecond), kib>>10)
	if kib == 0 {
		t.Fatal("could not read the server's resident memory (/proc)")
	}
	if kib > 1<<20 {
		t.Errorf("the server's resident memory peaked at %d MiB, over 1 GiB", kib>>10)
	}
}

// residentPeakKiB reads a process's peak resident set (VmHWM) from /proc,
// or 0.
func residentPeakKiB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}
