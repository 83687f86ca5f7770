import ajvCompiler from '@fastify/ajv-compiler';
import serializerCompiler from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type ValidatorFactory = NonNullable<CompilersFactory['buildValidator']>;
type SerializerFactory = NonNullable<CompilersFactory['buildSerializer']>;
type AjvValidate = ((data: unknown, dataContext?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };

/**
 * Fastify's own validator (Ajv) and response serializer (fast-json-stringify) compilers, made to compile
 * each route's schema when the route first needs it instead of when the server starts: compiling the
 * schemas of every route took most of a restart (decision 0050), and a process serves a few of them. The
 * functions are the ones Fastify would have compiled; `compileSchemasAtStart` (tests) proves every schema compiles.
 */
export function onFirstUseCompilers(): CompilersFactory {
  const validatorSelector = ajvCompiler() as ValidatorFactory;
  const serializerSelector = serializerCompiler();
  const buildValidator = ((externalSchemas: unknown, options: unknown) => {
    // The Ajv instance (formats, keywords) is itself built on first use.
    let compiler: ReturnType<ValidatorFactory> | undefined;
    const compile = (route: unknown) => (compiler ??= validatorSelector(externalSchemas as never, options as never))(route as never) as AjvValidate;
    return (route: unknown) => validatorOnFirstUse(() => compile(route));
  }) as unknown as ValidatorFactory;
  const buildSerializer: SerializerFactory = (externalSchemas, options) => {
    let compiler: ReturnType<SerializerFactory> | undefined;
    return (route) => {
      let serialize: ((document: unknown) => string) | undefined;
      return (document: unknown) => (serialize ??= (compiler ??= serializerSelector(externalSchemas, options))(route))(document);
    };
  };
  return { buildValidator, buildSerializer };
}

/**
 * Stands for an Ajv function: Fastify reads `schemaEnv` to pass the parent object (so Ajv may replace a
 * coerced root value) and `errors` after a failed call; both are the compiled function's.
 */
function validatorOnFirstUse(compile: () => AjvValidate): AjvValidate {
  let validate: AjvValidate | undefined;
  const compiled = () => (validate ??= compile());
  const standIn = ((data: unknown, dataContext?: unknown) => compiled()(data, dataContext)) as AjvValidate;
  Object.defineProperties(standIn, {
    errors: { get: () => compiled().errors },
    schemaEnv: { get: () => compiled().schemaEnv },
  });
  return standIn;
}
