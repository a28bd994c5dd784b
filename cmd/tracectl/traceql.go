package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/traceql"
)

func newTraceQLCmd(g *globals) *cobra.Command {
	fmtCmd := &cobra.Command{
		Use:   "fmt QUERY",
		Short: "Check a TraceQL query and print its canonical form",
		Long: `Parse and validate a TraceQL query and print it in canonical form. A bad
query is reported with its line and column and a caret under the spot.
"-" reads the query from stdin.

Exit status:
  0    the query is valid
  2    the query does not parse or fails validation (or uses a construct
       tracectl does not support yet)`,
		Example: `  tracectl traceql fmt '{resource.service.name="api"&&span.http.status_code>=500}|count()>2'`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := queryArg(g, args[0])
			if err != nil {
				return err
			}
			root, err := traceql.Parse(q)
			if err != nil {
				return queryError(q, err)
			}
			_, err = fmt.Fprintln(g.io.Out, root.String())
			return err
		},
	}
	explainCmd := &cobra.Command{
		Use:   "explain QUERY",
		Short: "Print a TraceQL query's canonical form and its syntax tree",
		Long: `Print the canonical form of a TraceQL query and the tree the parser built,
each node with its line:column range, to see how a query is read (which
operator binds tighter, what an attribute name took in). A query that parses
but fails validation is still shown, followed by the error.

Exit status:
  0    the query is valid
  2    the query does not parse or fails validation`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := queryArg(g, args[0])
			if err != nil {
				return err
			}
			out, err := traceql.Explain(q)
			if out != "" {
				if _, werr := io.WriteString(g.io.Out, out); werr != nil {
					return werr
				}
			}
			if err != nil {
				return queryError(q, err)
			}
			return nil
		},
	}
	return newGroupCmd("traceql", "Check, format and explain TraceQL queries", fmtCmd, explainCmd)
}

// queryArg returns the query, read from stdin for "-".
func queryArg(g *globals, arg string) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	b, err := io.ReadAll(g.io.In)
	if err != nil {
		return "", fmt.Errorf("reading query from stdin: %w", err)
	}
	return strings.TrimRight(string(b), "\n"), nil
}

// queryError adds the query line with a caret under the error column.
func queryError(q string, err error) error {
	if c := traceql.Caret(q, err); c != "" {
		return fmt.Errorf("%w\n  %s", err, strings.ReplaceAll(c, "\n", "\n  "))
	}
	return err
}
