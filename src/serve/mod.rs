//! An in-process, read-only OCI distribution server over OCI image layouts (demo, serve, fault injection).
