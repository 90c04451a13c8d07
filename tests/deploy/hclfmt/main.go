// Reports the HCL files that hclwrite.Format (what `nomad fmt` runs) would change, with a diff-like
// excerpt; exit 1 if any.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

func main() {
	bad := 0
	for _, path := range os.Args[1:] {
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		formatted := hclwrite.Format(src)
		if bytes.Equal(src, formatted) {
			continue
		}
		bad++
		fmt.Fprintf(os.Stderr, "%s: not formatted\n", path)
		have, want := strings.Split(string(src), "\n"), strings.Split(string(formatted), "\n")
		for i := 0; i < len(have) && i < len(want); i++ {
			if have[i] != want[i] {
				fmt.Fprintf(os.Stderr, "  line %d\n  - %s\n  + %s\n", i+1, have[i], want[i])
			}
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
