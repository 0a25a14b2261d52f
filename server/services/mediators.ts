import { isMediatorGrade, type MediatorGrade, type RosterEntry } from '../../src/core/mediation';
import type { Scope } from '../../src/core/roles';
import type { Store } from '../store/types';
import { userMarks } from './user-marks';

// The roster of mediators (老苗调解): users with the mediator role, their areas, and the grade
// the county awarded each (gold, excellent), kept in the meta table by user id.

const gradeMarks = userMarks<MediatorGrade>('mediator_grades', isMediatorGrade);
export const mediatorGrades = gradeMarks.read;
export const setMediatorGrade = gradeMarks.set;

/** Regions overlap when one is inside the other: a town's mediator serves a village's appeal, a county's reader sees the town's mediator. */
const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/** The enabled mediators whose area meets `scope`, with their grades. */
export async function rosterFor(store: Store, scope: Scope): Promise<RosterEntry[]> {
  const grades = await mediatorGrades(store);
  return (await store.users())
    .filter((u) => u.role === 'mediator' && !u.disabled && u.scope.regions.some((r) => scope.regions.some((s) => overlaps(r, s))))
    .map((u) => ({ id: u.id, name: u.displayName, grade: grades[u.id] ?? null, regions: u.scope.regions }));
}
