"""`bythand practice`: the exercise worked on screen, marked by `check` as the student types.

model, storage, grading, geometry and hints import no Textual; app, screen and widgets do, and only
the `practice` command imports them."""
