/**
 * Adversarial attacks behind one interface ({@link diffpure.attack.Attack}): PGD-EOT, APGD (CE,
 * DLR, targeted), FAB-T, Square, StAdv and their compositions (AutoAttack presets), on any {@link
 * diffpure.gradient.TargetModel}.
 */
package diffpure.attack;
