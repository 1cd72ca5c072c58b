package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCmd writes a man page per command, from the same definitions as the help.
func manCmd(root *cobra.Command, code *int) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "man -o DIR",
		Short: "write the man pages (flowlens.1, flowlens-report.1, …) into DIR",
		Long: `Writes one man page per command into DIR, made from the same definitions as 'flowlens help':

  flowlens man -o /usr/local/share/man/man1 && man flowlens-report`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return &cmdError{"man", fmt.Errorf("give the directory with -o DIR")}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				*code = fail("man", err)
				return nil
			}
			hdr := &doc.GenManHeader{Title: "FLOWLENS", Section: "1", Source: "flowlens " + version, Manual: "flowlens manual"}
			if err := doc.GenManTree(root, hdr, dir); err != nil {
				*code = fail("man", err)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&dir, "output", "o", "", "directory of the man pages")
	return c
}
