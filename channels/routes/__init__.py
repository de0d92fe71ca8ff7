"""HTTP routes; each turns a request into plain data once and hands it on."""
