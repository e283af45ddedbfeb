package diffpure.model;

/** The two calling conventions of DESIGN.md section 3. */
public enum ModelKind {
    /** (x in [-1,1], t in (0,1]) -&gt; predicted noise. */
    EPS,
    /** (x in [0,1]) -&gt; logits. */
    CLASSIFIER
}
