package quadstore

import "github.com/cayleygraph/cayley/graph"

// Name is the name under which the store is registered with cayley
// (graph.InitQuadStore, graph.NewQuadStore).
const Name = "credreg-badger"

// Cayley options (graph.Options) understood by the registered store.
const (
	OptNoSync    = "nosync"     // bool: Options.NoSync
	OptBatchSize = "batch_size" // int: Options.BatchSize
)

func init() {
	graph.RegisterQuadStore(Name, graph.QuadStoreRegistration{
		NewFunc: func(path string, o graph.Options) (graph.QuadStore, error) {
			opts, err := cayleyOptions(o)
			if err != nil {
				return nil, err
			}
			opts.mustExist = true
			return Open(path, opts)
		},
		InitFunc: func(path string, o graph.Options) error {
			opts, err := cayleyOptions(o)
			if err != nil {
				return err
			}
			opts.mustBeNew = true
			qs, err := Open(path, opts)
			if err != nil {
				return err
			}
			return qs.Close()
		},
		IsPersistent: true,
	})
}

func cayleyOptions(o graph.Options) (Options, error) {
	var opts Options
	var err error
	if opts.NoSync, err = o.BoolKey(OptNoSync, false); err != nil {
		return opts, err
	}
	opts.BatchSize, err = o.IntKey(OptBatchSize, 0)
	return opts, err
}
