"""`pytone render MODEL.nam` (the quick-use path a re-amping player takes)
reproduces the reference player's output for each reference triple within
1e-4 relative RMS; bad model files are refused with a named error."""
import numpy as np

from ptest import main, path, read_wav, run, test, tmp


@test
def render_matches_the_reference_player():
    for model in ("wavenet_a1_standard", "wavenet", "lstm"):
        out = tmp(model + ".wav")
        run("render", path("tests/data/nam", model + ".nam"), path("tests/data/nam/input.wav"), out, check=True)
        _, y = read_wav(out)
        _, ref = read_wav(path("tests/data/nam", model + ".reference.wav"))
        assert len(y) == len(ref)
        err = np.sqrt(np.mean((y - ref) ** 2)) / np.sqrt(np.mean(ref ** 2))
        print(f"   {model}: relative RMS error {err:.2e}")
        assert err < 1e-4, (model, err)


@test
def a_truncated_model_is_refused_by_name():
    bad = tmp("truncated.nam")
    text = open(path("tests/data/nam/wavenet.nam")).read()
    open(bad, "w").write(text[: len(text) // 2])
    p = run("render", bad, path("tests/data/nam/input.wav"), tmp("x.wav"))
    assert p.returncode == 1 and bad in p.stderr, p.stderr
    print("   " + p.stderr.strip().splitlines()[0])


if __name__ == "__main__":
    main()
