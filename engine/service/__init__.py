"""The gRPC face of the engine: a thin servicer over `retakes.engine.core.Engine`."""
