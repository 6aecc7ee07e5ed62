package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// outputFlags are the one grammar of commands that render data:
// -o/--output FORMAT chooses the format, --out-file PATH writes a file
// (replaced atomically) instead of standard output. The spellings of
// earlier releases (--format FORMAT, --output PATH, -f/--file PATH) are
// kept, hidden and deprecated, for one release.
type outputFlags struct {
	format, file string
	formats      []string
	legacyFormat string // --format
	legacyFile   string // --file
}

// register adds the flags; file says whether the command can write a file.
func (o *outputFlags) register(cmd *cobra.Command, def string, formats []string, file bool) {
	o.formats = formats
	cmd.Flags().StringVarP(&o.format, "output", "o", def, "output format: "+strings.Join(formats, ", "))
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().StringVar(&o.legacyFormat, "format", "", "deprecated: -o/--output")
	cmd.Flags().MarkHidden("format")
	if file {
		cmd.Flags().StringVar(&o.file, "out-file", "", "write to this file instead of standard output (replaced atomically)")
		cmd.Flags().StringVarP(&o.legacyFile, "file", "f", "", "deprecated: --out-file")
		cmd.Flags().MarkHidden("file")
	}
}

// resolve applies the deprecated spellings and checks the format. An
// --output value that is no format and reads like a path (a dot or a
// slash), on a command that writes files, is the old --output PATH.
func (o *outputFlags) resolve(a *app, cmd *cobra.Command) error {
	fl := cmd.Flags()
	if fl.Changed("file") && o.file == "" {
		fmt.Fprintf(a.stderr, "okrmap: warning: -f/--file is deprecated; use --out-file %s\n", o.legacyFile)
		o.file = o.legacyFile
	}
	if fl.Changed("output") && !slices.Contains(o.formats, o.format) && strings.ContainsAny(o.format, "./\\") &&
		fl.Lookup("out-file") != nil && o.file == "" {
		fmt.Fprintf(a.stderr, "okrmap: warning: --output PATH is deprecated; use --out-file %s (-o/--output now names the format)\n", o.format)
		o.file = o.format
		o.format = fl.Lookup("output").DefValue
	}
	if fl.Changed("format") {
		fmt.Fprintf(a.stderr, "okrmap: warning: --format is deprecated; use -o %s\n", o.legacyFormat)
		o.format = o.legacyFormat
	}
	return checkFormat(o.format, o.formats...)
}

// textOrJSON adds -o text|json to a command whose answer is a short
// summary; see app.answer.
func textOrJSON(cmd *cobra.Command, output *string) {
	cmd.Flags().StringVarP(output, "output", "o", "text", "output format: text or json")
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
}

// answer writes v as JSON when output is json, else runs text.
func (a *app) answer(output string, v any, text func()) error {
	if output == "json" {
		return writeJSON(a.stdout, v)
	}
	text()
	return nil
}
