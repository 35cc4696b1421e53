// One round of secure aggregation: its stages, cohort, deadlines and running masked total.
import { DurableObject } from "cloudflare:workers";

export class Round extends DurableObject<Env> {}
