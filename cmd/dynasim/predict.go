package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"dynasim/internal/dist"
	"dynasim/research/wars"
	"dynasim/runner"
	"dynasim/scenarios"
)

func newPredictCmd(stdout io.Writer) *cobra.Command {
	var (
		trials int
		seed   uint64
		ts     []float64
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "predict FILE",
		Short: "Predict P(consistent) t ms after a write by the WARS Monte Carlo (PBS)",
		Long: `predict runs the WARS Monte Carlo of Bailis et al. (Probabilistically Bounded
Staleness, VLDB 2012) from a scenario's N, R, W, its per-kind latency
distributions (write_request, write_ack, read_request, read_response and the
client's legs) and its routing, and prints P(a read sent exactly t ms after
the write was acknowledged returns it), with Wilson intervals and the
k-staleness histogram, at the probe's delays (or --t). The same seed gives
the same output.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := scenarios.Load(args[0])
			if err != nil {
				return err
			}
			s := sc.DefaultSeed()
			if cmd.Flags().Changed("seed") {
				s = seed
			}
			r, err := sc.Resolve(s)
			if err != nil {
				return err
			}
			cfg, err := runner.PredictConfig(r, trials, ts)
			if err != nil {
				return err
			}
			start := time.Now()
			p, err := wars.Predict(cfg)
			if err != nil {
				return err
			}
			wall := time.Since(start)
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Scenario string       `json:"scenario"`
					Seed     uint64       `json:"seed"`
					N        int          `json:"n"`
					R        int          `json:"r"`
					W        int          `json:"w"`
					Trials   int          `json:"trials"`
					Points   []wars.Point `json:"predicted"`
				}{r.Name, r.Seed, cfg.N, cfg.R, cfg.W, p.Config.Trials, p.Points})
			}
			c := p.Config
			fmt.Fprintf(stdout, "dynasim predict: %s (seed %d): WARS Monte Carlo, %d trials in %.3f s\n", r.Name, r.Seed, c.Trials, wall.Seconds())
			fmt.Fprintf(stdout, "N=%d R=%d W=%d, routing %s, %d version(s) per trial\n", c.N, c.R, c.W, r.Workload.Routing, c.Versions)
			fmt.Fprintf(stdout, "legs (ms): W %s | A %s | R %s | S %s\n", c.WriteMs, c.AckMs, c.ReadMs, c.ResponseMs)
			fmt.Fprintf(stdout, "client path: put %s, reply %s, get %s; write coordinator is a replica: %v; read coordinator is that replica: %v\n",
				specs(c.PutPathMs), specs(c.AckPathMs), specs(c.GetPathMs), c.LocalWriteReplica, c.LocalReadReplica)
			fmt.Fprintln(stdout, "P(consistent) = P(a read sent exactly t ms after the client saw the write acknowledged returns it)")
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "t (ms)\tP(consistent)\t95% Wilson\tk-staleness (k=0, 1, ...)\t")
			for _, pt := range p.Points {
				ks := make([]string, len(pt.KStaleness))
				for i, n := range pt.KStaleness {
					ks[i] = fmt.Sprint(n)
				}
				fmt.Fprintf(tw, "%g\t%.4f\t[%.4f, %.4f]\t%s\t\n", pt.TMs, pt.P, pt.Lo, pt.Hi, strings.Join(ks, " / "))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, w := range runner.PredictWarnings(r) {
				fmt.Fprintln(stdout, "note: "+w)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&trials, "trials", runner.DefaultPredictTrials, "Monte Carlo trials")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "seed (default: the scenario's)")
	cmd.Flags().Float64SliceVar(&ts, "t", nil, "delays in ms (default: the probe's, else 0,1,2,5,10,20,50,100)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func specs(ss []dist.Spec) string {
	if len(ss) == 0 {
		return "none"
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.String()
	}
	return strings.Join(out, " + ")
}
