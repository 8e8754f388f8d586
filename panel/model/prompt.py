from retakes.engine.prompts import HINT, VERBS, PromptIntent, check, parse, suggest_op  # noqa: F401 (moved to the engine)
