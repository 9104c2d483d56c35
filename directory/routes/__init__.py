"""HTTP routes, one module per audience; each exports `routes`."""
