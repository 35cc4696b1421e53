// A federation's durable state: configuration, enrolled clients, rounds, model versions, usage.
import { DurableObject } from "cloudflare:workers";

export class Federation extends DurableObject<Env> {}
