import { isDeputyBody, type DeputyBody } from '../../src/core/deputy';
import { userMarks } from './user-marks';

// Which body each deputy sits in (人大 or 政协), by user id, kept in the meta table like the
// mediators' grades: a property of the person the county vouches for, not of any one post,
// so a post cannot claim a title its author does not hold.

const bodyMarks = userMarks<DeputyBody>('deputy_bodies', isDeputyBody);
export const deputyBodies = bodyMarks.read;
export const setDeputyBody = bodyMarks.set;
