"""The live control plane: a store, a service layer, a REST API, a scheduling loop."""
